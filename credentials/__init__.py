"""The verifiable-credential engine: plain functions over dicts, keys and bytes, knowing nothing of
produce, documents or Django.

- jsonld: JSON-LD with bundled contexts only (`bundle_contexts` adds an application's own), RDFC-1.0
- keys, proofs: Ed25519 keys and did:key; Ed25519Signature2020 and DataIntegrityProof signing/checking
- limits: what a credential from a stranger may cost before any work is done on it
- verification: `verify_credential(document, policy=…)`, every check with a reason
- policy: `VerificationPolicy`, what is trusted and what may be fetched, with the fetcher
- dids, fetching: a verification method to a key; fetching what a credential names
- status_list: the W3C Bitstring Status List; qr: PixelPass and QR codes
- images: the text of the QR code in a photo, a screenshot or a PDF, read within bounds
"""
