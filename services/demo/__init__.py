"""Demo data for the development server (`seed`, `catalog`): not part of the business;
nothing in the other packages imports it.
"""
