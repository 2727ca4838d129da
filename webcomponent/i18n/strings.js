// Every text the element shows or reads out itself, in English, by name: the names the locales
// (locale-xx.js) translate and `strings` overrides (docs/element.md, "Languages"). A module
// names the text a node shows with setText() / setLabel(); locale.js puts it in the element's
// language, also into nodes made later (messages' buttons). Texts with values in them ({name})
// go through the element's `t()`.

export const EN = Object.freeze({
  conversation: 'Conversation',
  message: 'Message',
  send: 'Send',
  stop: 'Stop',
  generating: 'Generating',
  scroll: 'Scroll to latest',
  placeholder: 'No messages yet. Send one to start the conversation.',
  textboxPlaceholder: 'Type a message…',
  offline: 'Offline. Reconnecting…',
  refused: 'This chat is not available on this site.',
  copy: 'Copy',
  copied: 'Copied',
  copyMessage: 'Copy message',
  copyCode: 'Copy code',
  copyAll: 'Copy conversation',
  clear: 'Clear conversation',
  examples: 'Examples',
  outputs: 'Outputs',
  suggestions: 'Suggested replies',
  feedback: 'Feedback',
  like: 'Like',
  dislike: 'Dislike',
  flag: 'Flag',
  retry: 'Retry',
  undo: 'Undo',
  edit: 'Edit',
  editMessage: 'Edit message',
  cancel: 'Cancel',
  save: 'Save',
  versions: 'Versions',
  previousVersion: 'Previous version',
  nextVersion: 'Next version',
  you: 'You',
  assistant: 'Assistant',
  thought: 'Thought',
  inProgress: 'In progress',
  attach: 'Attach files',
  attachments: 'Attached files',
  record: 'Record a voice message',
  tooLong: 'This message has {length} characters; the limit is {limit}.',
  failedUploads: 'Remove the files that were not uploaded, or attach them again.',
  sendingFile: 'Sending once the file is uploaded…',
  sendingFiles: 'Sending once the files are uploaded…',
  sendingOnline: 'Sending once connected…',
  interrupted: 'The connection was interrupted.',
  restarted: 'The server restarted.',
})

/** Languages written right to left: the element's `dir` follows them. */
export const RTL_LANGUAGES = Object.freeze(['ar', 'he', 'fa', 'ur'])

// Marker attributes: the name of the text a node shows, and the attribute it goes in.
export const MARKERS = Object.freeze({'data-t': null, 'data-t-label': 'aria-label', 'data-t-title': 'title', 'data-t-placeholder': 'placeholder'})

/** `template` with each `{name}` replaced by `values[name]`. */
export function format(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole))
}

/** Show text `name` as `node`'s text (in English until locale.js translates it). */
export function setText(node, name) {
  node.setAttribute('data-t', name)
  node.textContent = EN[name]
}

/** Name `node` by text `name`: its aria-label, and its tooltip (`title`) unless `title` is false. */
export function setLabel(node, name, title = true) {
  node.setAttribute('data-t-label', name)
  node.setAttribute('aria-label', EN[name])
  if (title) {
    node.setAttribute('data-t-title', name)
    node.setAttribute('title', EN[name])
  }
}

/** `node` shows a text of the page's own (a developer's label): no longer one of these. */
export function unmark(node) {
  for (const marker of Object.keys(MARKERS)) node.removeAttribute(marker)
}
