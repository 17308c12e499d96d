import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import * as system from '../../functions/routes/system.js';
import { CONSOLE_BUILD, functionId } from '../../lib/constructs/hub-function.js';
import { CrossdockStack } from '../../lib/stack.js';

/**
 * The console is served by the function that answers /health and /openapi.json: no function, bucket
 * or distribution of its own (the stack stays well within CloudFormation's 500 resources).
 */
describe('the operator console in the stack', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new CrossdockStack(app, 'Crossdock-test', { stage: 'test' });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = Object.values(template.Resources);

  it('routes GET /console and GET /console/{proxy+} to the system function, with /health and /openapi.json', () => {
    const fn = stack.functions.get(functionId(system.health.handler));
    expect(fn).toBeDefined();
    for (const r of [system.health, system.openapi, system.consoleRoot, system.consolePath]) {
      expect(functionId(r.handler), `${r.method} ${r.path}`).toBe(functionId(system.health.handler));
    }
    const keys = resources
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey);
    expect(keys).toEqual(expect.arrayContaining(['GET /console', 'GET /console/{proxy+}', 'GET /health']));
    expect(resources.some((r) => r.Type === 'AWS::CloudFront::Distribution')).toBe(false);
  });

  it('builds the console into that function’s bundle, beside index.mjs', () => {
    expect(system.consoleRoot.ships).toEqual(['console']);
    expect(CONSOLE_BUILD.afterBundling('/in', '/out')).toEqual([
      'cd "/in" && npx vite build --config console/vite.config.ts --outDir "/out/console"',
    ]);
  });

  it('stays within CloudFormation’s 500 resources', () => {
    expect(Object.keys(template.Resources).length).toBeLessThan(500);
  });
});
