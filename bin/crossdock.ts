import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CrossdockStack } from '../lib/stack.js';
import { parseStage, stackName } from '../lib/stage.js';

/**
 * The CDK app: one stack per stage, chosen with `-c stage=test|prod` (default test). The account and
 * region come from the deploying credentials, so synth works offline and no environment is fixed here.
 */
const app = new App();
const stage = parseStage(app.node.tryGetContext('stage'));

new CrossdockStack(app, stackName(stage), {
  stage,
  description: `Crossdock ${stage}: serverless B2B integration hub`,
  terminationProtection: stage === 'prod',
  tags: { project: 'crossdock', stage },
});

// AwsSolutions checks run at synth; an unacknowledged finding stops it. Acknowledgements (with reasons)
// live next to the resources they concern, in lib/.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
