// The versions of a turn. Editing one of the reader's messages starts a new version of the
// conversation from that message on; the old one is kept, and the reader switches between
// them (‹ 2 / 3 ›). The element holds the versions not shown, as plain messages (in the
// `messages` property and what a reload restores); the server only ever holds the version
// shown, which is the history fn gets (docs/events.md#edit).

import {actionButton} from './message-actions.js'
import {setLabel} from '../i18n/strings.js'

/**
 * The turn a message starts, from a plain message (`versions`: the other versions, each a
 * list of messages starting with one of the reader's; `version`: the place of this one
 * among them all). `{others, shown}`, or null when it has no other version.
 */
export function readTurn(message) {
  const others = Array.isArray(message?.versions)
    ? message.versions.filter(chain => Array.isArray(chain) && chain.length && chain[0]?.role === 'user')
    : []
  if (!others.length) return null
  const shown = Number.isInteger(message.version) ? Math.min(Math.max(message.version, 0), others.length) : others.length
  return {others, shown}
}

/** Every version of `turn` in order, `chain` (the one shown, as plain messages) in its place. */
export function allVersions(turn, chain) {
  if (!turn) return [chain]
  return [...turn.others.slice(0, turn.shown), chain, ...turn.others.slice(turn.shown)]
}

/** The turn of version `k` of `all`: the others, and its place. */
export function turnOf(all, k) {
  const others = all.filter((_, i) => i !== k)
  return others.length ? {others, shown: k} : null
}

/** `message` without the versions of its turn (a message inside a version carries only its own). */
export function withoutTurn(message) {
  const {versions, version, ...rest} = message
  return rest
}

/**
 * Show the edit button (`canEdit`) and the version switcher (when `view.turn` has other
 * versions) in the row under `view`'s message.
 */
export function showTurnControls(view, canEdit) {
  const present = view.element.querySelector(':scope > .message-actions > :is(.edit, .versions)')
  if (!canEdit && !view.turn && !present) return // nothing to show or take away: no row made for it
  const row = view.actions
  let edit = row.querySelector(':scope > .action.edit')
  if (canEdit && !edit) {
    edit = actionButton('edit', 'edit')
    const copy = row.querySelector(':scope > .copy-message')
    if (copy) copy.after(edit)
    else row.prepend(edit)
  } else if (!canEdit && edit) {
    edit.remove()
  }
  let nav = row.querySelector(':scope > .versions')
  if (!view.turn) {
    nav?.remove()
    return
  }
  if (!nav) {
    nav = document.createElement('span')
    nav.className = 'versions'
    nav.setAttribute('part', 'versions')
    nav.setAttribute('role', 'group')
    setLabel(nav, 'versions', false)
    const count = document.createElement('span')
    count.className = 'version-count'
    nav.append(actionButton('version-prev', 'previousVersion', 'previous'), count, actionButton('version-next', 'nextVersion', 'next'))
    row.append(nav)
  }
  const {shown, others} = view.turn
  const total = others.length + 1
  nav.querySelector('.version-count').textContent = `${shown + 1} / ${total}`
  nav.querySelector('.version-prev').disabled = shown === 0
  nav.querySelector('.version-next').disabled = shown === total - 1
}
