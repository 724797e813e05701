// Placeholder: replaced by the implementation.
export async function runAgentFromCli(_opts: Record<string, unknown>): Promise<number> { throw new Error('runAgentFromCli: not implemented yet'); }
