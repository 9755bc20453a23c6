/**
 * Which account owns a conversation never changes, so once read it can be remembered: a visitor's
 * messages then reach the workflow without a database read on the way (the workflow itself rejects
 * messages to a closed conversation). Bounded; least recently added entries go first.
 */
export class OwnershipCache {
  private readonly owners = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  get(resourceId: string): string | undefined {
    return this.owners.get(resourceId);
  }

  set(resourceId: string, accountId: string): void {
    if (this.owners.size >= this.max) this.owners.delete(this.owners.keys().next().value as string);
    this.owners.set(resourceId, accountId);
  }
}
