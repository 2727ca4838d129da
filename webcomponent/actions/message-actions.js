// What the reader can do with a message: preset replies (`options`), copying a message or
// a code block, copying the whole conversation. The buttons are built here; one delegated
// listener on the log handles them all, so a message costs no listener of its own.

import {icon} from '../core/icons.js'
import {setLabel, setText, unmark} from '../i18n/strings.js'

const COPIED_FOR_MS = 1500

/** The row of preset replies of a message: one button per `{value, label}`. */
export function createOptions(options) {
  const row = document.createElement('div')
  row.className = 'options'
  row.setAttribute('part', 'options')
  row.setAttribute('role', 'group')
  setLabel(row, 'suggestions', false)
  for (const option of options) {
    if (!option || typeof option.value !== 'string') continue
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'option'
    button.setAttribute('part', 'option')
    button.dataset.value = option.value
    button.textContent = typeof option.label === 'string' && option.label ? option.label : option.value
    row.append(button)
  }
  return row
}

/** A message's copy button (shown when config.buttons holds "copy"). */
export function createCopyButton() {
  return copyButton('copy-message', 'copyMessage')
}

/** Retry and undo, shown under the last reply only (CSS) while nothing is generated. */
export function createTurnButtons() {
  return [actionButton('retry', 'retry'), actionButton('undo', 'undo')]
}

/**
 * The feedback controls for `options` (config.feedback_options): "Like" and "Dislike" are
 * thumbs, any other option goes in a "Flag" menu. `aria-pressed` shows the reader's choice.
 */
export function createFeedback(options) {
  const group = document.createElement('span')
  group.className = 'feedback'
  group.setAttribute('role', 'group')
  setLabel(group, 'feedback', false)
  const flags = []
  for (const option of options) {
    if (option === 'Like' || option === 'Dislike') {
      const button = actionButton(`feedback ${option.toLowerCase()}`, option.toLowerCase())
      button.dataset.value = option
      button.setAttribute('aria-pressed', 'false')
      group.append(button)
    } else if (typeof option === 'string') {
      flags.push(option)
    }
  }
  if (flags.length) {
    const menu = document.createElement('details')
    menu.className = 'flag-menu'
    const summary = document.createElement('summary')
    summary.className = 'action'
    summary.setAttribute('part', 'flag')
    setText(summary, 'flag')
    // The options in a box of their own, shown as a menu over the conversation (actions.css).
    const list = document.createElement('div')
    list.className = 'flag-options'
    menu.append(summary, list)
    for (const flag of flags) {
      const button = actionButton('feedback flag-option', null) // the developer's word, as it is
      button.setAttribute('aria-label', flag)
      button.title = flag
      button.dataset.value = flag
      button.setAttribute('aria-pressed', 'false')
      button.textContent = flag
      list.append(button)
    }
    group.append(menu)
  }
  return group
}

/**
 * Show an action button as config says (Gradio 4's `retry_btn`, `undo_btn`, `clear_btn`): a
 * string is its text label, anything else its icon with `label` as its accessible name.
 */
export function labelAction(button, option, label, iconName) {
  const text = typeof option === 'string' && option.trim() ? option : null
  button.replaceChildren(text ?? icon(iconName))
  if (text === null) {
    setLabel(button, label)
  } else {
    unmark(button) // the developer's label, as it is
    button.setAttribute('aria-label', text)
    button.title = text
  }
  button.classList.toggle('labelled', text !== null)
}

/** Show `value` (or none) as the chosen feedback in `group` (made by createFeedback). */
export function showFeedback(group, value) {
  for (const button of group.querySelectorAll('.feedback[data-value]')) {
    button.setAttribute('aria-pressed', String(button.dataset.value === value))
  }
}

/** Give every code block in `root` a copy button in its header (once). */
export function decorateCodeBlocks(root) {
  for (const header of root.querySelectorAll('.code-block > .code-header')) {
    if (!header.querySelector('.copy-code')) header.append(copyButton('copy-code', 'copyCode'))
  }
}

/**
 * Handle clicks on the log's action buttons. `host.option(value, messageElement)` sends a
 * preset reply, `host.messageText(messageElement)` is the text a copy button copies and
 * `host.copied(messageElement)` says it was; `host.feedback(messageElement, value)`,
 * `host.retry()`, `host.undo()`, `host.edit(messageElement)` and
 * `host.version(messageElement, step)` (‹ is -1, › is +1) do the rest. With
 * `host.selectable()`, a click on a message elsewhere than on a control (or Enter or Space
 * on a focused message) is `host.select(messageElement)`.
 */
export function connectMessageActions(log, host, signal) {
  log.addEventListener(
    'click',
    event => {
      const target = event.target instanceof Element ? event.target : null
      const button = target?.closest('button')
      if (!button || !log.contains(button)) {
        if (target && host.selectable()) selectFrom(target, log, host)
        return
      }
      if (button.disabled) return
      const message = button.closest('.message')
      if (button.classList.contains('option')) {
        host.option(button.dataset.value ?? '', message)
      } else if (button.classList.contains('copy-code')) {
        const code = button.closest('.code-block')?.querySelector('pre code, pre')
        copy(button, code?.textContent ?? '')
      } else if (button.classList.contains('copy-message')) {
        copy(button, host.messageText(message))
        host.copied(message)
      } else if (button.classList.contains('feedback')) {
        // Clicking the chosen feedback again takes it back.
        const value = button.getAttribute('aria-pressed') === 'true' ? null : button.dataset.value
        button.closest('details')?.removeAttribute('open')
        host.feedback(message, value)
      } else if (button.classList.contains('retry')) {
        host.retry()
      } else if (button.classList.contains('undo')) {
        host.undo()
      } else if (button.classList.contains('edit')) {
        host.edit(message)
      } else if (button.classList.contains('version-prev') || button.classList.contains('version-next')) {
        host.version(message, button.classList.contains('version-prev') ? -1 : 1)
      }
    },
    {signal},
  )
  // An open flag menu closes, as a menu does, once focus leaves it: Tab, a click in the message
  // box or anywhere in the log (the log takes focus). A click that focuses nothing (Safari's
  // on a button) has no relatedTarget: the menu stays for the click to land. It closes too on a
  // press anywhere outside it, in the page around the chat too, and on Escape (focus back on
  // its Flag button). `keep(menu)`: whether that menu stays open.
  const shut = keep => {
    for (const menu of log.querySelectorAll('.flag-menu[open]')) menu.open = keep(menu)
  }
  log.addEventListener('focusout', ({relatedTarget: to}) => shut(menu => !to || menu.contains(to)), {signal})
  document.addEventListener('pointerdown', event => shut(menu => event.composedPath().includes(menu)), {signal})
  log.addEventListener(
    'keydown',
    event => {
      const target = event.target
      if (event.key === 'Escape') shut(menu => !menu.contains(target) || menu.firstChild.focus())
      if ((event.key !== 'Enter' && event.key !== ' ') || !(target instanceof Element) || !target.matches('.message')) return
      if (!host.selectable()) return
      event.preventDefault()
      host.select(target)
    },
    {signal},
  )
}

// A click on a message's bubble selects it, unless it was on a link, a control, or the end
// of selecting text (not the row of buttons under it, its avatar or the gaps around it).
function selectFrom(target, log, host) {
  const bubble = target.closest('.bubble')
  const message = bubble?.parentElement
  if (!message?.matches('.message') || !log.contains(message) || target.closest('a, summary, textarea, input, select, audio, video, form')) return
  const selection = log.getRootNode().getSelection?.() ?? document.getSelection()
  if (selection && !selection.isCollapsed) return
  host.select(message)
}

/** Copy the conversation's `transcript` with the `watermark` (config.watermark) after it. */
export function copyTranscript(button, transcript, watermark) {
  copy(button, typeof watermark === 'string' && watermark ? `${transcript}\n\n${watermark}` : transcript)
}

/** Put `text` on the clipboard and say so on `button` for a moment. */
export async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    return // no clipboard (insecure context, permission refused): nothing to confirm
  }
  // The names of its texts (strings.js), kept to go back to.
  const label = button.dataset.copyLabel || (button.dataset.copyLabel = button.getAttribute('data-t-label'))
  const shown = button.querySelector('.copy-label')
  const original = button.dataset.copyText || (button.dataset.copyText = shown.getAttribute('data-t'))
  button.classList.add('copied')
  setLabel(button, 'copied')
  setText(shown, 'copied')
  clearTimeout(button.copiedTimer)
  button.copiedTimer = setTimeout(() => {
    button.classList.remove('copied')
    setLabel(button, label)
    setText(shown, original)
  }, COPIED_FOR_MS)
}

/**
 * A small action button: `className` after `action` (its last word is its part), `label` the
 * name (strings.js) of its accessible name and tooltip, `iconName` its icon (default: the
 * icon of that name).
 */
export function actionButton(className, label, iconName = label) {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = `action ${className}`
  button.setAttribute('part', className.split(' ').pop())
  if (label) setLabel(button, label)
  if (iconName) button.append(icon(iconName))
  return button
}

// The actions shown as icons (parts.js draws them with DOM calls: nothing for a CSP to block).

function copyButton(className, label) {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = `copy ${className}`
  button.setAttribute('part', className)
  setLabel(button, label)
  const text = document.createElement('span')
  text.className = 'copy-label'
  setText(text, 'copy')
  button.append(text)
  return button
}
