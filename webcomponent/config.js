// The options of config.json as the element uses them: the defaults of an element without
// `src`, and what each option changes in the parts (parts.js).

import {labelAction} from './actions/message-actions.js'
import {setButton} from './view/parts.js'
import {EN, setText, unmark} from './i18n/strings.js'
import {parseHTML} from './core/html.js'

/** The built-in themes besides "default" (themes.css; flask_chatbot/options/page.py THEMES). */
const THEMES = ['soft', 'monochrome']

export const DEFAULT_CONFIG = Object.freeze({
  placeholder: null,
  textbox_placeholder: null,
  submit_btn: true,
  stop_btn: true,
  autofocus: false,
  autoscroll: true,
  rtl: false,
  layout: 'bubble',
  buttons: ['copy'],
  group_consecutive_messages: true,
  label: null,
  show_label: false,
  height: null,
  min_height: null,
  max_height: null,
  resizable: false,
  elem_id: null,
  elem_classes: [],
  watermark: null,
  avatar_images: [null, null],
  likeable: false,
  feedback_options: ['Like', 'Dislike'],
  like_user_message: false,
  retry_btn: true,
  undo_btn: true,
  clear_btn: true,
  textbox_value: '',
  textbox_lines: 1,
  textbox_max_lines: null,
  editable: null,
  selectable: false,
  examples: [],
  run_examples_on_click: true,
  cache_examples: false,
  additional_inputs: [],
  additional_inputs_accordion: null,
  additional_outputs: [],
})

// Sizes reach the element as CSS lengths ("500px", "80vh"), set as custom properties: the
// CSSOM is not inline style, so a strict CSP allows it.
const SIZES = {height: '--chat-bot-height', min_height: '--chat-bot-min-height', max_height: '--chat-bot-max-height'}
const LINES = {textbox_lines: '--chat-bot-input-min-height', textbox_max_lines: '--chat-bot-input-max-height'}
const CSS_SIZE = /^\d{1,5}(\.\d{1,3})?(px|em|rem|vh|vw|dvh|svh|lvh|%)$/

/** `value`'s options over the defaults; anything but an object gives the defaults. */
export function withDefaults(value) {
  return {...DEFAULT_CONFIG, ...(value && typeof value === 'object' ? value : {})}
}

/**
 * Show `config` in `parts` (placeholder, message box text, buttons, direction, layout,
 * label, copy buttons) and on `host` (sizes, elem_id, elem_classes: gr.Chatbot's).
 */
export function applyConfig(parts, config, host) {
  const fallback = parts.placeholderFallback
  if (typeof config.placeholder === 'string' && config.placeholder) {
    unmark(fallback)
    fallback.replaceChildren(parseHTML(config.placeholder))
  } else {
    setText(fallback, 'placeholder')
  }
  const textarea = parts.textarea
  if (typeof config.textbox_placeholder === 'string') {
    textarea.removeAttribute('data-t-placeholder')
    textarea.placeholder = config.textbox_placeholder
  } else {
    textarea.setAttribute('data-t-placeholder', 'textboxPlaceholder')
    textarea.placeholder = EN.textboxPlaceholder
  }
  setButton(parts.sendButton, config.submit_btn, 'send', 'send')
  setButton(parts.stopButton, config.stop_btn, 'stop', 'stop')
  const frame = parts.frame
  frame.dataset.layout = config.layout === 'panel' ? 'panel' : 'bubble'
  const buttons = Array.isArray(config.buttons) ? config.buttons : []
  frame.toggleAttribute('data-copy', buttons.includes('copy'))
  frame.toggleAttribute('data-grouped', config.group_consecutive_messages !== false)
  host.toggleAttribute('data-resizable', config.resizable === true)
  // A built-in theme (themes.css) on the host, where a page can see and style it.
  if (THEMES.includes(config.theme)) host.dataset.theme = config.theme
  else delete host.dataset.theme
  frame.toggleAttribute('data-avatars', Object.values(avatars(config)).some(Boolean))
  const label = config.show_label && typeof config.label === 'string' ? config.label : ''
  parts.label.textContent = label
  parts.label.hidden = !label
  parts.copyAllButton.hidden = !buttons.includes('copy_all')
  parts.clearButton.hidden = config.clear_btn === false
  labelAction(parts.clearButton, config.clear_btn, 'clear', 'trash')
  parts.header.hidden = !label && parts.copyAllButton.hidden && parts.clearButton.hidden
  frame.toggleAttribute('data-selectable', config.selectable === true)
  frame.toggleAttribute('data-no-retry', config.retry_btn === false)
  frame.toggleAttribute('data-no-undo', config.undo_btn === false)
  // The message box's height in lines (gr.Textbox's lines, max_lines), as the sizes above.
  for (const [option, property] of Object.entries(LINES)) {
    const lines = config[option]
    if (Number.isInteger(lines) && lines >= 1 && lines <= 100) host.style.setProperty(property, `calc(${lines} * 1.45em + 0.8rem)`)
    else host.style.removeProperty(property)
  }
  for (const [option, property] of Object.entries(SIZES)) {
    const size = config[option]
    if (typeof size === 'string' && CSS_SIZE.test(size)) host.style.setProperty(property, size)
    else host.style.removeProperty(property)
  }
  if (typeof config.elem_id === 'string' && config.elem_id && !host.id) host.id = config.elem_id
  for (const name of Array.isArray(config.elem_classes) ? config.elem_classes : []) {
    if (typeof name === 'string' && /^[A-Za-z_][\w-]{0,63}$/.test(name)) host.classList.add(name)
  }
}

/**
 * Right to left with config.rtl or in a language written so (`dir`, locale.js), unless the
 * page set the element's own `dir`; the chat's language (config.lang) on its content unless
 * the element has its own `lang`.
 */
export function applyDirection(frame, host, config, dir) {
  frame.toggleAttribute('data-rtl', config.rtl === true)
  const direction = config.rtl ? 'rtl' : host.hasAttribute('dir') ? null : dir
  if (direction) frame.setAttribute('dir', direction)
  else frame.removeAttribute('dir')
  if (config.lang && !host.hasAttribute('lang')) frame.setAttribute('lang', config.lang)
  else frame.removeAttribute('lang')
}

/** config.upload resolved like the socket: against config.json of the element's `src`. */
export function uploadURL(config, src) {
  if (!config.multimodal || typeof config.upload !== 'string' || !src) return null
  return new URL(config.upload, new URL(`${src.replace(/\/+$/, '')}/config.json`, document.baseURI)).href
}

/** `{user, assistant}` avatar URLs from config.avatar_images (`[user, bot]`). */
export function avatars(config) {
  const [user, assistant] = Array.isArray(config.avatar_images) ? config.avatar_images : []
  return {user: typeof user === 'string' ? user : null, assistant: typeof assistant === 'string' ? assistant : null}
}
