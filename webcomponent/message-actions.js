// What the reader can do with a message: preset replies (`options`), copying a message or
// a code block, copying the whole conversation. The buttons are built here; one delegated
// listener on the log handles them all, so a message costs no listener of its own.

const COPIED_FOR_MS = 1500

export const ACTION_TEXT = Object.freeze({
  copy: 'Copy',
  copied: 'Copied',
  copyMessage: 'Copy message',
  copyCode: 'Copy code',
  copyAll: 'Copy conversation',
  options: 'Suggested replies',
})

/** The row of preset replies of a message: one button per `{value, label}`. */
export function createOptions(options) {
  const row = document.createElement('div')
  row.className = 'options'
  row.setAttribute('part', 'options')
  row.setAttribute('role', 'group')
  row.setAttribute('aria-label', ACTION_TEXT.options)
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
  return copyButton('copy-message', ACTION_TEXT.copyMessage)
}

/** Give every code block in `root` a copy button in its header (once). */
export function decorateCodeBlocks(root) {
  for (const header of root.querySelectorAll('.code-block > .code-header')) {
    if (!header.querySelector('.copy-code')) header.append(copyButton('copy-code', ACTION_TEXT.copyCode))
  }
}

/**
 * Handle clicks on the log's action buttons. `host.option(value)` sends a preset reply,
 * `host.messageText(messageElement)` is the text a message's copy button copies.
 */
export function connectMessageActions(log, host, signal) {
  log.addEventListener(
    'click',
    event => {
      const button = event.target instanceof Element ? event.target.closest('button') : null
      if (!button || !log.contains(button) || button.disabled) return
      if (button.classList.contains('option')) {
        host.option(button.dataset.value ?? '')
      } else if (button.classList.contains('copy-code')) {
        const code = button.closest('.code-block')?.querySelector('pre code, pre')
        copy(button, code?.textContent ?? '')
      } else if (button.classList.contains('copy-message')) {
        copy(button, host.messageText(button.closest('.message')))
      }
    },
    {signal},
  )
}

/** Put `text` on the clipboard and say so on `button` for a moment. */
export async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    return // no clipboard (insecure context, permission refused): nothing to confirm
  }
  const label = button.dataset.label || (button.dataset.label = button.getAttribute('aria-label'))
  const shown = button.querySelector('.copy-label')
  const original = button.dataset.text || (button.dataset.text = shown.textContent)
  button.classList.add('copied')
  button.setAttribute('aria-label', ACTION_TEXT.copied)
  button.title = ACTION_TEXT.copied
  shown.textContent = ACTION_TEXT.copied
  clearTimeout(button.copiedTimer)
  button.copiedTimer = setTimeout(() => {
    button.classList.remove('copied')
    button.setAttribute('aria-label', label)
    button.title = label
    shown.textContent = original
  }, COPIED_FOR_MS)
}

function copyButton(className, label) {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = `copy ${className}`
  button.setAttribute('part', className)
  button.setAttribute('aria-label', label)
  button.title = label
  const text = document.createElement('span')
  text.className = 'copy-label'
  text.textContent = ACTION_TEXT.copy
  button.append(text)
  return button
}
