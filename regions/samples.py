"""Sample villages (communities) and grids for townships whose real village list is not available here.

The real list of villages is not public, so a demo or test installation generates a clearly labelled stand-in:
every generated region carries is_sample=True and a name with 示例. Codes use the block 901-999 of the 3-digit
village part, which statistical codes leave unused, so real villages can be loaded later without collisions.
"""

from dataclasses import dataclass

from django.db import transaction

from .choices import RegionLevel
from .models import Region
from .placement import tree_changed

SAMPLE_VILLAGE_BASE = 900  # village n of a township gets the code <township><900 + n>


@dataclass
class SampleReport:
    created: int = 0
    unchanged: int = 0


def sample_village_code(township_code: str, number: int) -> str:
    return f"{township_code}{SAMPLE_VILLAGE_BASE + number:03d}"


def sample_grid_code(village_code: str, number: int) -> str:
    return f"{village_code}{number:03d}"


def sample_village_name(township: Region, number: int) -> str:
    """东山街道示例社区01 under a street (街道), 某某镇示例村01 under a town or township."""
    kind = "社区" if township.name.endswith("街道") else "村"
    return f"{township.name}示例{kind}{number:02d}"


@transaction.atomic
def generate_sample_villages(township_codes: list[str], villages: int = 5, grids: int = 3) -> SampleReport:
    """Create `villages` sample villages under each township and `grids` grids under each; idempotent."""
    if not 1 <= villages <= 99 or not 1 <= grids <= 999:
        raise ValueError("每个乡镇的示例村（社区）数须在 1–99 之间，每个村的网格数须在 1–999 之间")
    townships = {r.code: r for r in Region.objects.filter(code__in=township_codes, level=RegionLevel.TOWNSHIP)}
    missing = sorted(set(township_codes) - set(townships))
    if missing:
        raise ValueError(f"以下代码不是已加载的乡镇（街道）：{'、'.join(missing)}")
    wanted = []
    for code in township_codes:
        for v in range(1, villages + 1):
            village_code, village_name = sample_village_code(code, v), sample_village_name(townships[code], v)
            wanted.append(Region(code=village_code, name=village_name, level=RegionLevel.VILLAGE, parent_id=code))
            wanted += [
                Region(
                    code=sample_grid_code(village_code, g),
                    name=f"{village_name}第{g:02d}网格",
                    level=RegionLevel.GRID,
                    parent_id=village_code,
                )
                for g in range(1, grids + 1)
            ]
    existing = set(Region.objects.filter(code__in=[r.code for r in wanted]).values_list("code", flat=True))
    new = [r for r in wanted if r.code not in existing]
    for region in new:
        region.is_sample = True
    Region.objects.bulk_create(new)  # parents precede their children in `wanted`
    tree_changed(sorted({r.code[:9] for r in new}))  # records of these townships may now be placed lower
    return SampleReport(created=len(new), unchanged=len(existing))
