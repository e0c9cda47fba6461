"""What a conf/model choice needs set to build here, offline: the probe's tower has no weights file in the tests."""

OFFLINE_VALUES: dict[str, dict[str, object]] = {"probe": {"random_tower": True}}


def offline_values(choice: str) -> dict[str, object]:
    return dict(OFFLINE_VALUES.get(choice, {}))
