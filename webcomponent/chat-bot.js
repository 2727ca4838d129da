// Entry point of the <chat-bot> element: import this module and the tag is defined.
//
//     <script type="module" src="/chat/static/chat-bot.js"></script>
//     <chat-bot src="/chat"></chat-bot>
//
// Pages that want another tag name import ChatBotElement from ./element.js and call
// ChatBotElement.define('my-chat').

import {ChatBotElement} from './element.js'

// Guarded: a page may load the module twice (two bundles, two script tags).
if (!customElements.get('chat-bot')) ChatBotElement.define()

export {ChatBotElement}
export default ChatBotElement
