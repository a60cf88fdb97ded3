"""QR codes for emails: a URL as a PNG that a phone camera reads from a screen or a printout."""

import io

import segno

QR_CONTENT_ID = "checkin-qr@convoca"  # what the HTML refers to as cid:…


def qr_png(url: str) -> bytes:
    """The URL as a black-on-white PNG, always a full QR code (never a Micro QR, which phone
    cameras don't read), with medium error correction and the standard four-module margin."""
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()
