import type { Context } from '../../core/types.js';
import { compact } from './os.js';

type Env = Record<string, string | undefined>;

/**
 * `contexts.cloud_resource` from what the platform puts in the environment. Only environment
 * variables are read: asking a metadata endpoint (EC2, GCE) would cost a network round trip at
 * start-up and hang outside the cloud. Platform names follow the OpenTelemetry `cloud.platform`
 * values where one exists. More specific platforms are checked first (Cloud Functions gen2 also
 * sets Cloud Run's K_SERVICE). Returns undefined when nothing reveals a cloud.
 */
export function detectCloudResource(env: Env): Context | undefined {
  for (const detect of DETECTORS) {
    const found = detect(env);
    if (found) return compact(found);
  }
  return undefined;
}

type Detector = (env: Env) => Record<string, string | undefined> | undefined;

const DETECTORS: Detector[] = [
  (env) =>
    env['AWS_LAMBDA_FUNCTION_NAME']
      ? { 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'cloud.region': env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] }
      : undefined,
  (env) =>
    env['ECS_CONTAINER_METADATA_URI_V4'] || env['ECS_CONTAINER_METADATA_URI']
      ? { 'cloud.provider': 'aws', 'cloud.platform': 'aws_ecs', 'cloud.region': env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] }
      : undefined,
  (env) =>
    env['FUNCTION_TARGET'] || env['FUNCTION_NAME']
      ? { 'cloud.provider': 'gcp', 'cloud.platform': 'gcp_cloud_functions', 'cloud.region': env['FUNCTION_REGION'], 'cloud.account.id': env['GCP_PROJECT'] }
      : undefined,
  (env) =>
    env['K_SERVICE'] || env['CLOUD_RUN_JOB']
      ? { 'cloud.provider': 'gcp', 'cloud.platform': 'gcp_cloud_run' }
      : undefined,
  (env) =>
    env['GAE_SERVICE'] ? { 'cloud.provider': 'gcp', 'cloud.platform': 'gcp_app_engine', 'host.id': env['GAE_INSTANCE'] } : undefined,
  (env) =>
    env['VERCEL'] ? { 'cloud.provider': 'vercel', 'cloud.platform': 'vercel', 'cloud.region': env['VERCEL_REGION'] } : undefined,
  (env) =>
    env['FUNCTIONS_WORKER_RUNTIME'] || env['AZURE_FUNCTIONS_ENVIRONMENT']
      ? { 'cloud.provider': 'azure', 'cloud.platform': 'azure_functions', 'cloud.region': env['REGION_NAME'] }
      : undefined,
  (env) =>
    env['CONTAINER_APP_NAME']
      ? { 'cloud.provider': 'azure', 'cloud.platform': 'azure_container_apps', 'cloud.region': env['REGION_NAME'] }
      : undefined,
  (env) =>
    env['WEBSITE_SITE_NAME']
      ? { 'cloud.provider': 'azure', 'cloud.platform': 'azure_app_service', 'cloud.region': env['REGION_NAME'], 'host.id': env['WEBSITE_INSTANCE_ID'] }
      : undefined,
  (env) =>
    env['FLY_APP_NAME']
      ? { 'cloud.provider': 'fly', 'cloud.platform': 'fly_io', 'cloud.region': env['FLY_REGION'], 'host.id': env['FLY_MACHINE_ID'] ?? env['FLY_ALLOC_ID'] }
      : undefined,
  (env) => (env['DYNO'] ? { 'cloud.provider': 'heroku', 'cloud.platform': 'heroku', 'host.id': env['DYNO'] } : undefined),
  (env) =>
    env['RENDER'] && env['RENDER_SERVICE_ID']
      ? { 'cloud.provider': 'render', 'cloud.platform': 'render', 'host.id': env['RENDER_INSTANCE_ID'] }
      : undefined,
  (env) =>
    env['RAILWAY_ENVIRONMENT'] || env['RAILWAY_ENVIRONMENT_NAME']
      ? { 'cloud.provider': 'railway', 'cloud.platform': 'railway', 'cloud.region': env['RAILWAY_REPLICA_REGION'] }
      : undefined,
  (env) =>
    env['NETLIFY'] ? { 'cloud.provider': 'netlify', 'cloud.platform': 'netlify', 'cloud.region': env['AWS_REGION'] } : undefined,
];
