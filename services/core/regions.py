"""Chinese administrative region codes (GB/T 2260): six digits, county within city within
province. Shared by shipping addresses (ACC-2) and offline stores (MER-2)."""

from __future__ import annotations

import re

from services.core.errors import DomainError, ErrorCode

REGION_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only; fullmatch: no trailing newline


def validate_region_codes(province_code: str, city_code: str, county_code: str) -> None:
    """Raise INVALID_INPUT (field provinceCode / cityCode / countyCode) unless the three
    codes have six digits each and the county lies in the city, the city in the province."""
    for field, code in (("provinceCode", province_code), ("cityCode", city_code), ("countyCode", county_code)):
        if not isinstance(code, str) or not REGION_CODE.fullmatch(code):
            raise DomainError(ErrorCode.INVALID_INPUT, "Region codes have six digits.", field)
    if not (province_code[:2] == city_code[:2] == county_code[:2]) or city_code[:4] != county_code[:4]:
        raise DomainError(ErrorCode.INVALID_INPUT, "The county is not in that city and province.", "countyCode")
