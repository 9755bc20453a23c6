/**
 * The demo `npm run dev` seeds: a connection to the demo booking API (scripts/demo-api, served by dev on
 * 127.0.0.1:4010), its endpoints, three actions, and a bot whose guided flows use them:
 *
 * - booking: name -> date -> check availability -> offer the first free slot -> email -> summary ->
 *   create the booking -> its reference (a fully booked day goes back to the date question);
 * - order status: order number -> billing email -> look the order up (shown only if the email matches);
 * - "human": hand the conversation to a person.
 *
 * Editing this and restarting `npm run dev` updates what changed and re-publishes the bot.
 */
import type { z } from 'zod';
import type { ActionBody, CreateEndpointBody } from '../../models/connection.schema';

export const DEMO_BOT = {
  name: 'Parley demo',
  greeting: 'Hi! I\'m Parley\'s demo bot. I can book you an appointment or look up an order: say "book" or "order status".',
  fallbackMessage: 'Sorry, I can only book appointments and look up orders for now. Say "book", "order status", or "human" to reach a person.',
  timezone: 'Europe/London',
} as const;

/** The connection's name: how the seed finds it again on a restart. */
export const DEMO_CONNECTION_NAME = 'Demo booking API';

/** The demo API's endpoints, by a local ref (an action step's `endpoint`); matched by `name` on a restart. */
export const DEMO_ENDPOINTS: Record<'availability' | 'create_booking' | 'order', z.input<typeof CreateEndpointBody>> = {
  availability: {
    name: 'Availability',
    description: 'Free slots on a day.',
    method: 'GET',
    path: '/availability',
    // `llm`: Smart AI may fill it; flows pass their own values either way.
    parameters: [{ name: 'date', type: 'date', in: 'query', source: 'llm', description: 'The day to check (YYYY-MM-DD).' }],
    responseFields: [
      { name: 'first_slot', path: '$.first_slot' },
      { name: 'available', path: '$.available' },
    ],
  },
  create_booking: {
    name: 'Create booking',
    description: 'Books a slot.',
    method: 'POST',
    path: '/bookings',
    sideEffects: true,
    parameters: [
      { name: 'name', type: 'string', in: 'body', source: 'llm', description: 'Who the booking is for.' },
      { name: 'email', type: 'email', in: 'body', source: 'llm', description: 'Where the confirmation goes.' },
      { name: 'date', type: 'date', in: 'body', source: 'llm', description: 'The day (YYYY-MM-DD).' },
      { name: 'time', type: 'string', in: 'body', source: 'llm', description: 'The slot (HH:MM).' },
    ],
    responseFields: [
      { name: 'booking_id', path: '$.id' },
      { name: 'status', path: '$.status' },
    ],
  },
  order: {
    name: 'Order status',
    description: "An order's status, shown only to someone who knows its billing email.",
    method: 'GET',
    path: '/orders/{order_id}',
    parameters: [
      { name: 'order_id', type: 'string', in: 'path', source: 'llm', description: 'The order number, e.g. 1001.' },
      { name: 'email', type: 'email', in: 'query', source: 'llm', description: 'The billing email on the order.' },
    ],
    responseFields: [{ name: 'order_status', path: '$.status' }],
    validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: "That email doesn't match this order." }],
  },
};

/** The actions, one step each; `endpoint` is a ref of DEMO_ENDPOINTS, replaced by the endpoint's id when seeded. */
export const DEMO_ACTIONS: Array<Omit<z.input<typeof ActionBody>, 'steps'> & { steps: Array<{ id: string; endpoint: keyof typeof DEMO_ENDPOINTS }> }> = [
  { id: 'check_availability', name: 'Check availability', description: 'The first free slot on a day.', steps: [{ id: 'check', endpoint: 'availability' }] },
  { id: 'create_booking', name: 'Create booking', description: 'Books a slot for a name and email.', steps: [{ id: 'book', endpoint: 'create_booking' }] },
  { id: 'order_status', name: 'Order status', description: "An order's status, after checking its billing email.", steps: [{ id: 'order', endpoint: 'order' }] },
];

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
          question: 'Which day suits you, {{name}}? You can say things like "tomorrow" or "next Thursday".',
          variable: 'date',
          answer: { type: 'date', allowPast: false },
          retryMessage: 'Sorry, I need a day from today onwards, like "Friday" or "28 November".',
          // Asked every time: the flow comes back here when a day is full or the slot is declined.
          skipIfKnown: false,
          next: 'check',
        },
        { id: 'check', type: 'api_call', action: 'check_availability', inputs: { date: '{{date}}' }, outputs: { available: 'available', time: 'first_slot' }, next: 'is_free', onFailure: 'check_failed' },
        { id: 'is_free', type: 'condition', branches: [{ when: { variable: 'available', op: 'equals', value: true }, next: 'offer_slot' }], else: 'full' },
        // Back to the date question: a loop must pass through an ask, so the flow waits for the visitor.
        { id: 'full', type: 'message', text: 'Sorry, {{date_display}} is fully booked.', next: 'ask_date' },
        {
          id: 'offer_slot',
          type: 'ask',
          question: 'The first free slot on {{date_display}} is {{time}}. Shall I book it?',
          variable: 'take_slot',
          answer: { type: 'yes_no' },
          skipIfKnown: false,
          next: 'slot_taken',
        },
        { id: 'slot_taken', type: 'condition', branches: [{ when: { variable: 'take_slot', op: 'equals', value: true }, next: 'ask_email' }], else: 'other_day' },
        { id: 'other_day', type: 'message', text: "No problem, let's find another day.", next: 'ask_date' },
        { id: 'ask_email', type: 'ask', question: 'And your email address, for the confirmation?', variable: 'email', answer: { type: 'email' }, skipIfKnown: true, next: 'confirm' },
        {
          id: 'confirm',
          type: 'choice',
          text: 'Here is your booking:\n• Name: {{name}}\n• When: {{date_display}} at {{time}}\n• Email: {{email}}\nShall I book it?',
          options: [
            { label: 'Yes, book it', value: 'yes', synonyms: ['yes', 'yep', 'confirm', 'ok'], next: 'book' },
            { label: 'No, cancel', value: 'no', synonyms: ['no', 'nope'], next: 'not_booked' },
          ],
        },
        {
          id: 'book',
          type: 'api_call',
          action: 'create_booking',
          inputs: { name: '{{name}}', email: '{{email}}', date: '{{date}}', time: '{{time}}' },
          outputs: { booking_id: 'booking_id' },
          next: 'booked',
          onFailure: 'book_failed',
        },
        { id: 'booked', type: 'end', text: '✓ Booked! Your reference is {{booking_id}}. See you on {{date_display}} at {{time}}.' },
        { id: 'book_failed', type: 'end', text: "Sorry, I couldn't complete the booking: {{last_error}}" },
        { id: 'check_failed', type: 'end', text: "Sorry, I couldn't check the availability: {{last_error}}" },
        { id: 'not_booked', type: 'end', text: 'No problem, nothing was booked. Say "book" whenever you want to try again.' },
      ],
    },
    {
      id: 'order-status',
      name: 'Order status',
      trigger: { keywords: ['order', 'status'] },
      startBlockId: 'ask_order',
      blocks: [
        {
          id: 'ask_order',
          type: 'ask',
          question: "Sure, what's your order number?",
          variable: 'order_id',
          answer: { type: 'regex', pattern: '[0-9]{1,12}' },
          retryMessage: 'Order numbers are digits only, like 1001.',
          skipIfKnown: false,
          next: 'ask_billing_email',
        },
        {
          id: 'ask_billing_email',
          type: 'ask',
          question: 'And the email address on the order?',
          // Not `email`: a wrong guess here must not become the email the booking flow reuses.
          variable: 'billing_email',
          answer: { type: 'email' },
          skipIfKnown: false,
          next: 'lookup',
        },
        {
          id: 'lookup',
          type: 'api_call',
          action: 'order_status',
          inputs: { order_id: '{{order_id}}', email: '{{billing_email}}' },
          outputs: { order_status: 'order_status' },
          next: 'order_found',
          onFailure: 'order_failed',
        },
        { id: 'order_found', type: 'end', text: 'Your order {{order_id}} is {{order_status}}.' },
        { id: 'order_failed', type: 'end', text: '{{last_error}}' },
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
