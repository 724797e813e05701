// Placeholder: replaced by the implementation.
export async function runHubFromCli(_opts: Record<string, unknown>): Promise<number> { throw new Error('runHubFromCli: not implemented yet'); }
