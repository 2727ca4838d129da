// The element's own parts: the frame, status line, log, placeholder, pending dots, the
// form with its buttons (the clear button beside the message box), and error alerts. Built
// with DOM calls, never from markup strings, so nothing here needs a CSP exception or a
// Trusted Types policy. Messages are render.js's job.

import {icon} from '../core/icons.js'
import {setLabel, setText, unmark} from '../i18n/strings.js'

function element(tag, attributes = {}, children = [], label = null, title = true) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  if (label) setLabel(node, label, title) // a text of strings.js, in the element's language
  return node
}

/**
 * The element's shadow content, built once. `frame` stays hidden until styles.css has
 * loaded and `ready` (the element's language) has settled, so a page never shows a flash of
 * unstyled or untranslated parts; `shown` settles then.
 */
export function createParts(ready) {
  // Beside this module: the raw files, or the bundle the blueprint serves from the same
  // folder (flask_chatbot/web/bundle.py), find the stylesheet the same way.
  const stylesheet = element('link', {rel: 'stylesheet', href: new URL('../styles.css', import.meta.url).href})
  const frame = element('div', {class: 'frame', hidden: ''})
  // Settles once the frame is shown: until then nothing in it can take focus.
  const loaded = new Promise(resolve => {
    stylesheet.addEventListener('load', resolve, {once: true})
    stylesheet.addEventListener('error', resolve, {once: true})
  })
  const shown = Promise.all([loaded, ready]).then(() => {
    frame.hidden = false
  })
  const parts = {stylesheet, frame, shown}
  parts.status = element('div', {class: 'status', part: 'status', role: 'status'})
  parts.placeholderFallback = element('div', {class: 'placeholder-default', dir: 'auto'})
  setText(parts.placeholderFallback, 'placeholder')
  // Example cards (examples.js) show with the placeholder: only in an empty conversation.
  parts.examples = element('div', {class: 'examples', part: 'examples', role: 'group', hidden: ''}, [], 'examples', false)
  parts.placeholder = element('div', {class: 'placeholder', part: 'placeholder'}, [
    element('slot', {name: 'placeholder'}, [parts.placeholderFallback]),
    parts.examples,
  ])
  const dots = [0, 1, 2].map(() => element('span', {class: 'dot'}))
  parts.pending = element('div', {class: 'pending', part: 'pending', role: 'img', hidden: ''}, dots, 'generating', false)
  // The pending dots stay the log's last child: messages and alerts go in before them.
  parts.log = element('div', {class: 'log', part: 'log', role: 'log', tabindex: '0'}, [parts.pending], 'conversation', false)
  parts.scrollButton = element(
    'button',
    {class: 'scroll-button', part: 'scroll-button', type: 'button', hidden: ''},
    [icon('down')],
    'scroll',
  )
  parts.textarea = element('textarea', {class: 'input', part: 'input', rows: '1', enterkeyhint: 'send'}, [], 'message', false)
  parts.sendButton = element('button', {class: 'send-button', part: 'send-button', type: 'submit'})
  parts.stopButton = element('button', {class: 'stop-button', part: 'stop-button', type: 'button', hidden: ''})
  // Why the text in the box was not sent (too long, refused by the server): text, read out.
  parts.inputNote = element('div', {class: 'input-note', part: 'input-note', role: 'alert', hidden: ''})
  // A multimodal chat's files (attach.js, attachments.js): the button, its picker, the tray.
  parts.attachButton = element(
    'button',
    {class: 'attach-button icon-button', part: 'attach-button', type: 'button', hidden: ''},
    [icon('attach')],
    'attach',
  )
  parts.micButton = element(
    'button',
    {class: 'mic-button icon-button', part: 'mic-button', type: 'button', 'aria-pressed': 'false', hidden: ''},
    [icon('mic')],
    'record',
  )
  parts.fileInput = element('input', {type: 'file', hidden: '', tabindex: '-1'})
  parts.attachments = element('div', {class: 'attachments', part: 'attachments', role: 'group', hidden: ''}, [], 'attachments', false)
  // The clear button sits beside the message box, not in a strip of its own above the log:
  // alone there it was an empty bar (60 px tall on a phone). config.clear_btn still hides it.
  parts.clearButton = element(
    'button',
    {class: 'action clear', part: 'clear-button', type: 'button'},
    [icon('trash')],
    'clear',
  )
  parts.form = element('form', {class: 'form', part: 'form'}, [
    parts.inputNote,
    parts.attachments,
    element('div', {class: 'composer-row'}, [
      parts.clearButton,
      element('div', {class: 'composer'}, [parts.attachButton, parts.textarea, parts.micButton, parts.sendButton, parts.stopButton]),
    ]),
    parts.fileInput,
  ])
  // Above the log, shown when config asks: the chat's label and "copy conversation" (and the
  // saved chats' button, history-panel.js). Empty, it collapses (actions.css).
  parts.label = element('span', {class: 'label', part: 'label'})
  parts.copyAllButton = element(
    'button',
    {class: 'copy copy-all', part: 'copy-all', type: 'button'},
    [element('span', {class: 'copy-label'})],
    'copyAll',
  )
  setText(parts.copyAllButton.firstChild, 'copyAll')
  parts.header = element('div', {class: 'header', part: 'header', hidden: ''}, [parts.label, parts.copyAllButton])
  parts.logWrap = element('div', {class: 'log-wrap'}, [parts.log, parts.placeholder, parts.scrollButton])
  // The additional inputs' accordion (inputs-panel.js), between the log and the message box.
  parts.inputsPanel = element('details', {class: 'inputs-panel', part: 'additional-inputs', hidden: ''})
  // Additional outputs beside the conversation (outputs.js), with `show-outputs`.
  parts.outputs = element('aside', {class: 'outputs', part: 'outputs', hidden: ''}, [], 'outputs', false)
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
    unmark(button)
    button.replaceChildren(option)
    button.classList.remove('icon-button')
    button.removeAttribute('aria-label')
    button.removeAttribute('title')
  } else {
    button.replaceChildren(icon(iconName))
    button.classList.add('icon-button')
    setLabel(button, label)
  }
}

/** An error alert for the log: the text goes in as text. */
export function createAlert(code, text) {
  return element('div', {class: 'error', part: 'error', role: 'alert', 'data-code': code}, [text])
}
