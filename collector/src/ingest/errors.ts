/** A request the collector refuses, with the HTTP status and a message meant for the SDK author. */
export class IngestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

export const badRequest = (message: string): IngestError => new IngestError(400, message);
export const tooLarge = (message: string): IngestError => new IngestError(413, message);
export const unauthorized = (message: string): IngestError => new IngestError(401, message);
