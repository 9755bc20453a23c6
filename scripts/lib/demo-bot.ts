/**
 * The demo bot `npm run dev` seeds: a guided appointment booking (name -> date -> time -> email ->
 * summary -> confirm). Editing this and restarting `npm run dev` re-publishes the bot.
 */
export const DEMO_BOT = {
  name: 'Parley demo',
  greeting: "Hi! I'm Parley's demo bot. I can book you an appointment: just say \"book\".",
  fallbackMessage: 'Sorry, I can only book appointments for now. Say "book" to start, or "human" to reach a person.',
  timezone: 'Europe/London',
} as const;

export const DEMO_FLOWS = {
  flows: [
    {
      id: 'book-appointment',
      name: 'Book an appointment',
      trigger: { keywords: ['book', 'booking', 'appointment', 'reserve'] },
      startBlockId: 'ask_name',
      blocks: [
        { id: 'ask_name', type: 'ask', question: "Great, let's get you booked in. What's your name?", variable: 'name', answer: { type: 'text', minLength: 2, maxLength: 80 }, next: 'ask_date' },
        {
          id: 'ask_date',
          type: 'ask',
          question: 'Thanks {{name}}! Which day suits you? You can say things like "tomorrow" or "next Thursday".',
          variable: 'date',
          answer: { type: 'date', allowPast: false },
          retryMessage: 'Sorry, I need a day from today onwards, like "Friday" or "28 November".',
          next: 'ask_time',
        },
        { id: 'ask_time', type: 'ask', question: 'What time on {{date_display}}?', variable: 'time', answer: { type: 'time' }, next: 'ask_email' },
        { id: 'ask_email', type: 'ask', question: 'And your email address, for the confirmation?', variable: 'email', answer: { type: 'email' }, next: 'confirm' },
        {
          id: 'confirm',
          type: 'choice',
          text: 'Here is your booking:\n• Name: {{name}}\n• When: {{date_display}} at {{time_display}}\n• Email: {{email}}\nShall I book it?',
          options: [
            { label: 'Yes, book it', value: 'yes', synonyms: ['yes', 'yep', 'confirm', 'ok'], next: 'booked' },
            { label: 'No, cancel', value: 'no', synonyms: ['no', 'nope'], next: 'not_booked' },
          ],
        },
        { id: 'booked', type: 'end', text: '✓ Booked for {{date_display}} at {{time_display}}. A confirmation is on its way to {{email}}.' },
        { id: 'not_booked', type: 'end', text: 'No problem, nothing was booked. Say "book" whenever you want to try again.' },
      ],
    },
    {
      id: 'human',
      name: 'Talk to a person',
      trigger: { keywords: ['human', 'agent', 'person'] },
      startBlockId: 'handoff',
      blocks: [{ id: 'handoff', type: 'handoff', text: 'Let me get a colleague for you. They will reply here shortly.', reason: 'visitor asked for a person' }],
    },
  ],
};
