/** The deployment stages. Each is its own stack (`Crossdock-<stage>`) with generated resource names. */
export const STAGES = ['test', 'prod'] as const;

export type StageName = (typeof STAGES)[number];

export const DEFAULT_STAGE: StageName = 'test';

/** Reads a stage from CDK context (`-c stage=…`); anything but a known stage stops synth with a clear message. */
export function parseStage(value: unknown): StageName {
  if (value === undefined || value === null || value === '') return DEFAULT_STAGE;
  const found = STAGES.find((s) => s === value);
  if (!found) {
    throw new Error(
      `Unknown stage ${JSON.stringify(value)}: pass -c stage=${STAGES.join(' or -c stage=')} (default ${DEFAULT_STAGE}).`,
    );
  }
  return found;
}

/** The stack name of a stage. */
export const stackName = (stage: StageName): string => `Crossdock-${stage}`;
