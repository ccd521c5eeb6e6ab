"""Three-level distribution (DIS-1..DIS-6) and those who earn like it (MEM-2..MEM-4):
commissions booked, reversed and released (`commissions`, pure splits in
`commission_math`), distributor applications (`distributors`), the distributor centre
(`centre`), grades and gift packs (`grades`), leaderboards (`leaderboard`), regional agents
(`agents`) and franchise stores (`franchise`).
"""
