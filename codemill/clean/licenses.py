"""SPDX identifiers from the text of a LICENSE/COPYING file: a few phrases per license, no models.

Used by `fill_missing` (policy `infer` for `license`): a record without a license takes the one
found in a license file of the same repository. Phrases are matched lower-cased with collapsed
whitespace; the first license whose phrases all occur wins, so the more specific come first.
"""

from __future__ import annotations

import re

LICENSE_FILE = re.compile(r"(?:^|/)(?:licen[cs]e|copying|copyright|unlicense)(?:[._-][\w.-]*)?$", re.I)

#: (SPDX id, phrases that must all occur), most specific first
SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license", "version 2.1")),
    ("LGPL-2.0", ("gnu library general public license", "version 2")),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("EPL-2.0", ("eclipse public license", "2.0")),
    ("BSL-1.0", ("boost software license",)),
    ("PSF-2.0", ("python software foundation license",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
    ("CC0-1.0", ("cc0 1.0 universal",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("Zlib", ("this software is provided 'as-is'", "altered source versions must be plainly marked")),
)
_SPACE = re.compile(r"\s+")


def is_license_file(path: str | None) -> bool:
    return bool(path) and LICENSE_FILE.search(path) is not None


def spdx_of(text: str) -> str | None:
    """The SPDX id whose phrases all occur in the first 20,000 characters, or None."""
    flat = _SPACE.sub(" ", text[:20_000].lower())
    for spdx, phrases in SIGNATURES:
        if all(p in flat for p in phrases):
            return spdx
    return None
