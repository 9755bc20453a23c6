// The workflow bundle's entry point: every workflow the worker registers, each with its versioning
// behaviour (workflows/versioning.ts).
import { actionRunWorkflow, apiChainWorkflow } from './api-chain';
import { conversationWorkflow } from './conversation';
import { eventDeliveryWorkflow } from './event-delivery';
import { inboxWorkflow } from './inbox';
import { knowledgeAnalysisWorkflow } from './knowledge-analysis';
import { openApiDocumentWorkflow } from './openapi-import';
import { rotateSecretsWorkflow } from './rotate-secrets';
import { connectionTestWorkflow, endpointTestWorkflow } from './tests';
import { declareVersioningBehaviors } from './versioning';
import { webhookDeliveryWorkflow } from './webhook-delivery';

declareVersioningBehaviors({
  actionRunWorkflow,
  apiChainWorkflow,
  conversationWorkflow,
  eventDeliveryWorkflow,
  inboxWorkflow,
  knowledgeAnalysisWorkflow,
  openApiDocumentWorkflow,
  rotateSecretsWorkflow,
  connectionTestWorkflow,
  endpointTestWorkflow,
  webhookDeliveryWorkflow,
});

export {
  actionRunWorkflow,
  apiChainWorkflow,
  conversationWorkflow,
  eventDeliveryWorkflow,
  inboxWorkflow,
  knowledgeAnalysisWorkflow,
  openApiDocumentWorkflow,
  rotateSecretsWorkflow,
  connectionTestWorkflow,
  endpointTestWorkflow,
  webhookDeliveryWorkflow,
};
