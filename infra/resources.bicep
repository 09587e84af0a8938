// Everything inside the resource group: identity, keyless storage, monitoring, Key Vault, the Flex app, roles.
param location string
param tags object

@minLength(13)
param resourceToken string

param principalId string
param principalType string

@secure()
param backendApiKey string

@secure()
param proxyAdminKey string

param backendBaseUrl string
param modelMap object
param modelRoutes object = {}

var functionAppName = 'func-api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var backendKeySecretName = 'chutes-api-key'
var adminKeySecretName = 'proxy-admin-key'
var hasAdminKey = !empty(proxyAdminKey)

// Built-in role definition ids.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-api-${resourceToken}'
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource modelSchemasTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: 'modelschemas'
}

resource proxyKeysTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: 'proxykeys'
}

resource proxyUsageTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: 'proxyusage'
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// Purge protection stays off on purpose: once on it can never be turned off, and it would keep `azd down --purge` from
// freeing the vault name for the retention period. The vault only holds keys that can be re-issued, and soft delete
// (7 days) still guards against an accidental delete.
resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource backendKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: keyVault
  name: backendKeySecretName
  properties: {
    value: backendApiKey
    contentType: 'text/plain'
  }
}

resource adminKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (hasAdminKey) {
  parent: keyVault
  name: adminKeySecretName
  properties: {
    value: proxyAdminKey
    contentType: 'text/plain'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
        triggers: { http: { perInstanceConcurrency: 16 } }
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage through the managed identity: no connection string, no shared key.
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
        { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
        // The proxy's own settings (FunctionsProxy.Core/Configuration/SettingNames.cs).
        { name: 'CHUTES_BASE_URL', value: backendBaseUrl }
        { name: 'CHUTES_AUTH_STYLE', value: 'env' }
        { name: 'PROXY_UPSTREAM_TIMEOUT', value: '210' }
        { name: 'MODEL_MAP', value: string(modelMap) }
        { name: 'MODEL_ROUTES', value: string(modelRoutes) }
        { name: 'MODEL_COOLDOWN', value: '60' }
        { name: 'MODEL_FAILURE_THRESHOLD', value: '3' }
        { name: 'MODEL_FIRST_BYTE_TIMEOUT', value: '60' }
        { name: 'TOOL_NAME_MAP', value: '{}' }
        { name: 'MODEL_PROFILES', value: '{}' }
        { name: 'MODEL_PRICES', value: '{}' }
        { name: 'AUTO_FIX_MODEL_CASE', value: 'true' }
        { name: 'PROXY_DROP_BILLING_HEADER', value: 'true' }
        { name: 'PROXY_MAX_BODY_BYTES', value: '33554432' }
        { name: 'PROXY_BACKOFF_ON_429', value: 'true' }
        { name: 'PROXY_MAX_RETRY_ON_429', value: '1' }
        { name: 'PROXY_MAX_RETRY_AFTER', value: '2' }
        { name: 'DEBUG_PROXY', value: 'false' }
        { name: 'DISCOVERY_MIN_INTERVAL', value: '300' }
        { name: 'SCHEMA_CACHE_TABLE', value: modelSchemasTable.name }
        { name: 'COUNT_TOKENS_MODE', value: 'local' }
        { name: 'PROXY_TOKENIZER', value: 'o200k_base' }
        { name: 'PROXY_PING_INTERVAL', value: '10' }
        { name: 'PROXY_STREAM_COMMIT_AFTER', value: '5' }
        { name: 'STORAGE_TABLE_ENDPOINT', value: storage.properties.primaryEndpoints.table }
        { name: 'KEYVAULT_URI', value: keyVault.properties.vaultUri }
        { name: 'CHUTES_API_KEY_SECRET_NAME', value: backendKeySecret.name }
        { name: 'KEYVAULT_REFRESH_INTERVAL', value: '300' }
        { name: 'PROXY_AUTH', value: 'keys' }
        { name: 'PROXY_ADMIN_KEY_SECRET_NAME', value: hasAdminKey ? adminKeySecretName : '' }
        { name: 'PROXY_KEYS_TABLE', value: proxyKeysTable.name }
        { name: 'PROXY_USAGE_TABLE', value: proxyUsageTable.name }
        { name: 'MODEL_REFRESH_SCHEDULE', value: '0 */30 * * * *' }
        // No web page may call the proxy (list origins, comma-separated, to let a browser app in).
        { name: 'PROXY_ALLOWED_ORIGINS', value: '' }
      ]
    }
  }
  dependsOn: [
    deploymentContainer
    blobOwner
    kvSecretsUser
  ]
}

// No FTP or basic-auth publishing: deployments go through azd with Entra identities.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource kvSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource kvOfficerDeveloper 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(keyVault.id, principalId, roles.keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: principalId
    principalType: principalType
  }
}

// The person (or pipeline) running azd issues the first team keys with the keys CLI against the table endpoint
// (PROXY_AUTH=keys and no admin key leave no other way in), so it gets table data access, as the quickstart's
// allowUserIdentityPrincipal does.
resource tableContributorDeployer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

output functionAppName string = functionApp.name
output functionAppUri string = 'https://${functionApp.properties.defaultHostName}'
output keyVaultName string = keyVault.name
output keyVaultUri string = keyVault.properties.vaultUri
