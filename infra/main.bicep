// FunctionsProxy on Azure Functions Flex Consumption, for `azd up`. Raw resources only: registry modules cannot be
// restored offline, and their defaults (purge protection, premium SKU) do not fit a team proxy.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Region. Flex Consumption is offered in a subset of regions.')
// Every region the official Flex Consumption azd quickstart allows (its canary region aside), plus the ones this
// template already offered.
@allowed([
  'australiaeast'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'japaneast'
  'northcentralus'
  'northeurope'
  'southcentralus'
  'southeastasia'
  'swedencentral'
  'uksouth'
  'westcentralus'
  'westeurope'
  'westus2'
  'westus3'
])
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person running azd (gets Key Vault Secrets Officer to rotate the keys). Optional.')
param principalId string = ''

@description('Kind of principal running azd: azd sets AZURE_PRINCIPAL_TYPE (ServicePrincipal when it runs as one, e.g. in CI).')
@allowed([ 'User', 'ServicePrincipal' ])
param principalType string = 'User'

@secure()
@description('The Chutes (or other OpenAI-compatible backend) API key. Stored in Key Vault only.')
param backendApiKey string

@secure()
@description('Admin key for /_admin (team key management). Empty: no admin secret, the admin routes answer 404.')
param proxyAdminKey string = ''

@description('OpenAI-compatible backend root (without /v1).')
param backendBaseUrl string = 'https://llm.chutes.ai'

// An object, not a string: azd puts the text of MODEL_MAP into the parameters file, so a JSON map only survives as a
// JSON value; resources.bicep writes it back as one app-setting string.
@description('MODEL_MAP: JSON object, client model id (or haiku/sonnet/opus) -> backend model id, or an ordered list of them (a fallback chain).')
param modelMap object = {}

@description('MODEL_ROUTES: JSON object, {"long_context":{"min_input_tokens":N,"model":...},"thinking":{"model":...}}; tried before MODEL_MAP.')
param modelRoutes object = {}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    principalType: principalType
    backendApiKey: backendApiKey
    proxyAdminKey: proxyAdminKey
    backendBaseUrl: backendBaseUrl
    modelMap: modelMap
    modelRoutes: modelRoutes
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = resources.outputs.functionAppName
output SERVICE_API_NAME string = resources.outputs.functionAppName
output SERVICE_API_URI string = resources.outputs.functionAppUri
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_KEY_VAULT_ENDPOINT string = resources.outputs.keyVaultUri
