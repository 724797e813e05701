// Placeholder: replaced by the implementation.
export async function runModalityFromCli(_opts: Record<string, unknown>): Promise<number> { throw new Error('runModalityFromCli: not implemented yet'); }
