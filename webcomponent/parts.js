// The element's own parts: the frame, status line, log, placeholder, pending dots, the
// form with its buttons, and error alerts. Built with DOM calls, never from markup
// strings, so nothing here needs a CSP exception or a Trusted Types policy. Messages are
// render.js's job.

/** Every text the element shows or announces itself. */
export const TEXT = Object.freeze({
  conversation: 'Conversation',
  message: 'Message',
  send: 'Send',
  stop: 'Stop',
  generating: 'Generating',
  scroll: 'Scroll to latest',
  placeholder: 'No messages yet. Send one to start the conversation.',
  offline: 'Offline. Reconnecting…',
  copy: 'Copy',
  copyAll: 'Copy conversation',
  clear: 'Clear conversation',
  examples: 'Examples',
  outputs: 'Outputs',
  attach: 'Attach files',
  attachments: 'Attached files',
  dropFiles: 'Drop files to attach them',
})

const SVG = 'http://www.w3.org/2000/svg'
const ICONS = {
  send: [['path', {d: 'M12 19V5M5.5 11.5 12 5l6.5 6.5'}]],
  stop: [['rect', {x: '6.5', y: '6.5', width: '11', height: '11', rx: '2', class: 'filled'}]],
  down: [['path', {d: 'M12 5v14M5.5 12.5 12 19l6.5-6.5'}]],
  like: [['path', {d: 'M7 10v10H4V10h3zm0 0 4-7c1.5 0 2.5 1 2.5 2.5L13 9h5.5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7'}]],
  dislike: [['path', {d: 'M17 14V4h3v10h-3zm0 0-4 7c-1.5 0-2.5-1-2.5-2.5L11 15H5.5a2 2 0 0 1-2-2.3l1.2-7A2 2 0 0 1 6.7 4H17'}]],
  retry: [['path', {d: 'M20 12a8 8 0 1 1-2.34-5.66M20 4v5h-5'}]],
  undo: [['path', {d: 'M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11'}]],
  trash: [['path', {d: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3'}]],
  edit: [['path', {d: 'M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4'}]],
  previous: [['path', {d: 'M14.5 6 8.5 12l6 6'}]],
  next: [['path', {d: 'M9.5 6l6 6-6 6'}]],
  attach: [['path', {d: 'M20 11.5 12.2 19.3a5 5 0 0 1-7.1-7.1l8.2-8.2a3.3 3.3 0 0 1 4.7 4.7l-8.2 8.2a1.7 1.7 0 0 1-2.4-2.4L15 7'}]],
  close: [['path', {d: 'M7 7l10 10M17 7 7 17'}]],
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

// Icons built with DOM calls: no markup strings, nothing for a CSP or Trusted Types to block.
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  svg.setAttribute('class', 'icon')
  for (const [tag, attributes] of ICONS[name]) {
    const shape = document.createElementNS(SVG, tag)
    for (const [key, value] of Object.entries(attributes)) shape.setAttribute(key, value)
    svg.append(shape)
  }
  return svg
}

/**
 * The element's shadow content, built once. `frame` stays hidden until styles.css has
 * loaded, so a page never shows a flash of unstyled parts; `shown` settles then.
 */
export function createParts() {
  // Beside this module: the raw files, or the bundle the blueprint serves from the same
  // folder (flask_chatbot/bundle.py), find the stylesheet the same way.
  const stylesheet = element('link', {rel: 'stylesheet', href: new URL('./styles.css', import.meta.url).href})
  const frame = element('div', {class: 'frame', hidden: ''})
  // Settles once the frame is shown: until then nothing in it can take focus.
  const shown = new Promise(resolve => {
    const reveal = () => {
      frame.hidden = false
      resolve()
    }
    stylesheet.addEventListener('load', reveal, {once: true})
    stylesheet.addEventListener('error', reveal, {once: true})
  })
  const parts = {stylesheet, frame, shown}
  parts.status = element('div', {class: 'status', part: 'status', role: 'status'})
  parts.placeholderFallback = element('div', {class: 'placeholder-default'}, [TEXT.placeholder])
  // Example cards (examples.js) show with the placeholder: only in an empty conversation.
  parts.examples = element('div', {class: 'examples', part: 'examples', role: 'group', 'aria-label': TEXT.examples, hidden: ''})
  parts.placeholder = element('div', {class: 'placeholder', part: 'placeholder'}, [
    element('slot', {name: 'placeholder'}, [parts.placeholderFallback]),
    parts.examples,
  ])
  const dots = [0, 1, 2].map(() => element('span', {class: 'dot'}))
  parts.pending = element('div', {class: 'pending', part: 'pending', role: 'img', 'aria-label': TEXT.generating, hidden: ''}, dots)
  // The pending dots stay the log's last child: messages and alerts go in before them.
  parts.log = element('div', {class: 'log', part: 'log', role: 'log', 'aria-label': TEXT.conversation, tabindex: '0'}, [parts.pending])
  parts.scrollButton = element(
    'button',
    {class: 'scroll-button', part: 'scroll-button', type: 'button', 'aria-label': TEXT.scroll, title: TEXT.scroll, hidden: ''},
    [icon('down')],
  )
  parts.textarea = element('textarea', {class: 'input', part: 'input', rows: '1', 'aria-label': TEXT.message, enterkeyhint: 'send'})
  parts.sendButton = element('button', {class: 'send-button', part: 'send-button', type: 'submit'})
  parts.stopButton = element('button', {class: 'stop-button', part: 'stop-button', type: 'button', hidden: ''})
  // Why the text in the box was not sent (too long, refused by the server): text, read out.
  parts.inputNote = element('div', {class: 'input-note', part: 'input-note', role: 'alert', hidden: ''})
  // A multimodal chat's files (attach.js, attachments.js): the button, its picker, the tray.
  parts.attachButton = element(
    'button',
    {class: 'attach-button icon-button', part: 'attach-button', type: 'button', 'aria-label': TEXT.attach, title: TEXT.attach, hidden: ''},
    [icon('attach')],
  )
  parts.fileInput = element('input', {type: 'file', hidden: '', tabindex: '-1'})
  parts.attachments = element('div', {class: 'attachments', part: 'attachments', role: 'group', 'aria-label': TEXT.attachments, hidden: ''})
  parts.form = element('form', {class: 'form', part: 'form'}, [
    parts.inputNote,
    parts.attachments,
    element('div', {class: 'composer'}, [parts.attachButton, parts.textarea, parts.sendButton, parts.stopButton]),
    parts.fileInput,
  ])
  // Above the log, shown when config asks: the chat's label and "copy conversation".
  parts.label = element('span', {class: 'label', part: 'label'})
  parts.copyAllButton = element(
    'button',
    {class: 'copy copy-all', part: 'copy-all', type: 'button', 'aria-label': TEXT.copyAll, title: TEXT.copyAll},
    [element('span', {class: 'copy-label'}, [TEXT.copyAll])],
  )
  parts.clearButton = element(
    'button',
    {class: 'action clear', part: 'clear-button', type: 'button', 'aria-label': TEXT.clear, title: TEXT.clear},
    [icon('trash')],
  )
  parts.header = element('div', {class: 'header', part: 'header', hidden: ''}, [parts.label, parts.copyAllButton, parts.clearButton])
  parts.logWrap = element('div', {class: 'log-wrap'}, [parts.log, parts.placeholder, parts.scrollButton])
  // The additional inputs' accordion (inputs-panel.js), between the log and the message box.
  parts.inputsPanel = element('details', {class: 'inputs-panel', part: 'additional-inputs', hidden: ''})
  // Additional outputs beside the conversation (outputs.js), with `show-outputs`.
  parts.outputs = element('aside', {class: 'outputs', part: 'outputs', 'aria-label': TEXT.outputs, hidden: ''})
  frame.append(parts.status, parts.header, parts.logWrap, parts.inputsPanel, parts.form, parts.outputs)
  return parts
}

/**
 * Configure a send or stop button from config.json's `submit_btn` / `stop_btn`: `true`
 * is an icon button labelled `label`, a string a button with that text, false none.
 */
export function setButton(button, option, label, iconName) {
  button.classList.toggle('absent', option === false || option === null)
  if (typeof option === 'string' && option) {
    button.replaceChildren(option)
    button.classList.remove('icon-button')
    button.removeAttribute('aria-label')
    button.removeAttribute('title')
  } else {
    button.replaceChildren(icon(iconName))
    button.classList.add('icon-button')
    button.setAttribute('aria-label', label)
    button.setAttribute('title', label)
  }
}

/** An error alert for the log: the text goes in as text. */
export function createAlert(code, text) {
  return element('div', {class: 'error', part: 'error', role: 'alert', 'data-code': code}, [text])
}
