// Placeholder: replaced by the implementation.
export async function provisionAgent(_opts: Record<string, unknown>): Promise<number> { throw new Error('provisionAgent: not implemented yet'); }
export async function provisionUser(_opts: Record<string, unknown>): Promise<number> { throw new Error('provisionUser: not implemented yet'); }
