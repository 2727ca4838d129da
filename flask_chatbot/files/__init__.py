"""Files on disk by opaque server-issued id: the store (store), what a browser is told about a
stored file (serving), which paths may be copied and what names are written (paths), the
store's cleaner (cleanup), the reader's uploads with their rules (uploads), signed upload
keys (upload_keys) and upload quotas (upload_quota). A file is stored here.

May import: runtime, errors, Flask. Must not import: content, protocol, stores or any layer above.
"""
