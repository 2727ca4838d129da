// What a message's files may be, from config.json: mirrors flask_chatbot/files/uploads.py's
// UploadRules, so the reader hears at once what the server would refuse anyway.

// The texts of a message's files in English (strings.js's rule: the element's locale translates them).
export const FILE_TEXT = Object.freeze({
  uploading: 'Uploading {name}',
  notUploaded: 'Not uploaded',
  cancelUpload: 'Cancel upload of {name}',
  removeFile: 'Remove {name}',
  uploadFailed: '“{name}” could not be uploaded. Check the connection and try again.',
  uploadRefused: '“{name}” could not be uploaded (HTTP {status}).',
  fileType: '“{name}” is not a file this chat takes (it takes {types}).',
  tooLarge: '“{name}” is larger than the limit of {size}.',
  notAttached: '{names} not attached: a message may carry at most {count} files.',
  notPutBackOne: '{names} not put back: a message may carry at most 1 file.',
  notPutBack: '{names} not put back: a message may carry at most {count} files.',
})

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
