export interface Sample {
  start: number;
  end: number;
  status: number;
  /** the backend that answered (x-upstream), or the error */
  upstream?: string;
  version?: string;
  error?: string;
}

export declare class Load {
  readonly samples: Sample[];
  constructor(urls: () => string[], workers?: number, maxMs?: number, pauseMs?: number);
  stop(): Promise<Sample[]>;
  static failures(samples: Sample[]): Sample[];
}
