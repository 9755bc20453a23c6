/** Product limits shared by the API's validation and the workflow's update validators. */
export const LIMITS = {
  /** Longest visitor or bot message text, in characters. */
  messageText: 4000,
  /** Longest client-supplied message id. */
  clientMessageId: 128,
  /** Variables passed at conversation start. */
  variables: 50,
  variableValue: 1000,
  /** Inactivity timeout bounds, in seconds (1 second to 7 days). */
  inactivityTimeoutMin: 1,
  inactivityTimeoutMax: 7 * 24 * 3600,
  pageSizeMax: 200,
} as const;
