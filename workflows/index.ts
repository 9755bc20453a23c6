// The workflow bundle's entry point: every workflow the worker registers.
export { actionRunWorkflow, apiChainWorkflow } from './api-chain';
export { conversationWorkflow } from './conversation';
export { eventDeliveryWorkflow } from './event-delivery';
export { inboxWorkflow } from './inbox';
export { knowledgeAnalysisWorkflow } from './knowledge-analysis';
export { openApiDocumentWorkflow } from './openapi-import';
export { rotateSecretsWorkflow } from './rotate-secrets';
export { connectionTestWorkflow, endpointTestWorkflow } from './tests';
export { webhookDeliveryWorkflow } from './webhook-delivery';
