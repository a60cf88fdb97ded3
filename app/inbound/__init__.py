"""Mail that comes back: calendar apps' answers to invitations, and bounces of outgoing mail.

Every message accepted is first stored raw (`InboundMessage`), then applied; what cannot be
applied is kept, with the reason, for an organizer to apply or dismiss.
"""
