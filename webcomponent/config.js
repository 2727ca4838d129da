// The options of config.json as the element uses them: the defaults of an element without
// `src`, and what each option changes in the parts (parts.js).

import {TEXT, setButton} from './parts.js'
import {parseHTML} from './render.js'

export const DEFAULT_CONFIG = Object.freeze({
  placeholder: null,
  textbox_placeholder: 'Type a message…',
  submit_btn: true,
  stop_btn: true,
  autofocus: false,
  autoscroll: true,
  rtl: false,
})

/** `value`'s options over the defaults; anything but an object gives the defaults. */
export function withDefaults(value) {
  return {...DEFAULT_CONFIG, ...(value && typeof value === 'object' ? value : {})}
}

/** Show `config` in `parts`: placeholder, message box text, buttons, direction. */
export function applyConfig(parts, config) {
  parts.placeholderFallback.replaceChildren(
    typeof config.placeholder === 'string' && config.placeholder ? parseHTML(config.placeholder) : TEXT.placeholder,
  )
  parts.textarea.placeholder = typeof config.textbox_placeholder === 'string' ? config.textbox_placeholder : ''
  setButton(parts.sendButton, config.submit_btn, TEXT.send, 'send')
  setButton(parts.stopButton, config.stop_btn, TEXT.stop, 'stop')
  if (config.rtl) parts.frame.setAttribute('dir', 'rtl')
  else parts.frame.removeAttribute('dir')
}
