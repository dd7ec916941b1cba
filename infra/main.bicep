// GivingDay in Azure: one resource group holding the storage account, the function app on a
// Flex Consumption plan (running as a user-assigned identity, no keys anywhere), a Key Vault for its
// secrets, its logs and telemetry, and a Free Static Web App for the pages. `azd up` reads this with
// main.parameters.json; `az deployment sub create` works the same with explicit parameters.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it names the resource group and seeds the unique suffix of every resource.')
param environmentName string

@minLength(1)
@description('Region for everything but the static site. It must offer Flex Consumption.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Region of the Static Web App (Free), which runs in fewer regions than Functions.')
@allowed(['centralus', 'eastasia', 'eastus2', 'westeurope', 'westus2'])
param staticWebAppLocation string = 'eastasia'

@description('NCRONTAB (6 fields, UTC) of the progress snapshots.')
param snapshotSchedule string = '0 * * * * *'

@description('Pledges accepted per second from one client address; 0 turns the limit off.')
@minValue(0)
param rateLimitPerClientPerSecond int = 20

@description('Memory of each instance, in MB: 512, 2048 or 4096.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on instances, which also bounds the bill under a flood of traffic.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@secure()
@description('Bearer key for the organiser routes (Organiser__ApiKey).')
param organiserApiKey string

@secure()
@description('Key of the HMAC over donor contacts (Hashing__DonorKey). Changing it splits donor counts and caps in two.')
param donorHashKey string

@secure()
@description('ECDSA P-256 private key signing the public ledger\'s checkpoints (PKCS#8 PEM, or its DER in base64 on one line); scripts/ledger-key.sh makes one.')
param ledgerSigningKey string

@description('Object id of a principal that also gets the storage data roles, so a standalone instance (or a developer) can share the storage. Empty for none.')
param standalonePrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param standalonePrincipalType string = 'User'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    standalonePrincipalId: standalonePrincipalId
    standalonePrincipalType: standalonePrincipalType
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
  }
}

module vault 'app/vault.bicep' = {
  name: 'vault'
  scope: resourceGroup
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    organiserApiKey: organiserApiKey
    donorHashKey: donorHashKey
    ledgerSigningKey: ledgerSigningKey
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: resourceGroup
  params: {
    planName: 'plan-${resourceToken}'
    name: 'func-api-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    allowedOrigins: [web.outputs.url]
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    snapshotSchedule: snapshotSchedule
    rateLimitPerClientPerSecond: rateLimitPerClientPerSecond
    vaultName: vault.outputs.name
    secretNames: vault.outputs.secretNames
  }
}

module web 'app/web.bicep' = {
  name: 'web'
  scope: resourceGroup
  params: {
    name: 'stapp-${resourceToken}'
    location: staticWebAppLocation
    tags: tags
  }
}

// Names and addresses only: no key, connection string or secure parameter leaves the deployment.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.url
output STATIC_WEB_APP_NAME string = web.outputs.name
output STATIC_WEB_APP_URL string = web.outputs.url
