"""Nothing in redaction may reach the network: tldextract (used by Presidio's e-mail and URL recognizers)
would download the public suffix list on first use; make it use the snapshot shipped in its package."""

from __future__ import annotations

import tldextract
import tldextract.tldextract


def use_bundled_suffix_list() -> None:
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
    )
