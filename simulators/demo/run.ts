// Placeholder: replaced by the implementation.
export async function runDemo(_opts: Record<string, unknown>): Promise<number> { throw new Error('runDemo: not implemented yet'); }
