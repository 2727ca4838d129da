// What a message's files may be, from config.json: mirrors flask_chatbot/uploads.py's
// UploadRules, so the reader hears at once what the server would refuse anyway.

/** Why config's rules refuse a file of this name and type (`t`: the element's texts), or null. */
export function typeRefusal(config, name, type, t) {
  const types = config.file_types
  if (!Array.isArray(types) || types.includes('file')) return null
  const lower = name.toLowerCase()
  const top = String(type || '').split('/')[0]
  if (types.some(allowed => (allowed.startsWith('.') ? lower.endsWith(allowed) : allowed === top))) return null
  return t('fileType', {name, types: config.file_types_text || types.join(', ')})
}

/** `bytes` for people: "1.5 MB". */
export function sizeText(bytes) {
  for (const [unit, factor] of [['GB', 2 ** 30], ['MB', 2 ** 20], ['KB', 2 ** 10]]) {
    if (bytes >= factor) return `${Number((bytes / factor).toPrecision(3))} ${unit}`
  }
  return `${bytes} bytes`
}
