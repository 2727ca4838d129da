// docs/recipes.md, as one page: <chat-bot> with no server of ours (raw modules, as from npm).
import '../../webcomponent/chat-bot.js'

const chat = document.querySelector('chat-bot')

// A prefilled conversation.
chat.messages = [
  {role: 'user', content: 'What is this?'},
  {role: 'assistant', content: 'A chat on a page of its own.'},
]

// The bot speaks first.
chat.addMessage({role: 'assistant', content: 'Hello! Ask me anything.'})

// The page's own backend answers each message, streaming it word by word.
chat.addEventListener('chat-bot-submit', event => {
  const words = `You asked: ${event.detail.text}`.split(' ')
  const reply = chat.addMessage({role: 'assistant', content: '', status: 'streaming'})
  let shown = ''
  const timer = setInterval(() => {
    shown += (shown ? ' ' : '') + words.shift()
    chat.updateMessage(reply, {content: shown, status: words.length ? 'streaming' : 'done'})
    if (!words.length) {
      clearInterval(timer)
      chat.applyFrame({type: 'idle'}) // the turn is over: the reader may send again
    }
  }, 20)
})

// A button outside the chat asks a question.
document.querySelector('#ask').addEventListener('click', () => chat.send('What does it cost?'))

// A side panel fed by the conversation.
chat.addEventListener('chat-bot-message', event => {
  const {message} = event.detail
  if (message.role !== 'assistant') return
  const item = document.createElement('li')
  item.textContent = message.content
  document.querySelector('#answers').append(item)
})
