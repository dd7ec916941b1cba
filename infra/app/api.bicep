// The function app: a Flex Consumption plan (Linux, scales to zero, per-second billing) and
// the app on it, the GivingDay function app on the .NET isolated worker (dotnet-isolated 10.0).
// It runs as the user-assigned identity for everything: host storage, the deployment package, telemetry.

param planName string
param name string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity: the host and the app pick it by this id.')
param identityClientId string

param storageAccountName string
@description('Blob container URL the deployment package is uploaded to.')
param deploymentContainerUrl string
param applicationInsightsName string
@description('Origins whose pages may call the API from a browser: the static site.')
param allowedOrigins string[]

@allowed([512, 2048, 4096])
param instanceMemoryMB int
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

param snapshotSchedule string
@description('NCRONTAB of the re-drive timer (the function reads it as %RedriveSchedule%).')
param redriveSchedule string = '*/15 * * * * *'
param rateLimitPerClientPerSecond int
@description('Key Vault holding the secrets the settings below reference (vault.bicep); the identity reads them.')
param vaultName string
@description('Names of the secrets in that vault: organiserApiKey, donorHashKey, ledgerSigningKey.')
param secretNames object

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux: Flex Consumption has no Windows
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in the app settings are resolved with the same identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      // The pages are served from the static site's own host, so the browser asks first.
      cors: {
        allowedOrigins: allowedOrigins
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex Consumption declares the stack here, not in FUNCTIONS_WORKER_RUNTIME.
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage by identity: no key, no connection string. The app's own clients
      // read the same settings (src/Shared/Storage/StorageAccount.cs).
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The timers' schedules (%SnapshotSchedule%, %RedriveSchedule%): the host needs them as settings.
      SnapshotSchedule: snapshotSchedule
      RedriveSchedule: redriveSchedule
      RateLimit__PerClientPerSecond: string(rateLimitPerClientPerSecond)
      // Secrets: Key Vault references, never the values; the platform resolves them with keyVaultReferenceIdentity.
      Organiser__ApiKey: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretNames.organiserApiKey})'
      Hashing__DonorKey: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretNames.donorHashKey})'
      Ledger__SigningKeyPem: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretNames.ledgerSigningKey})'
      // The checkpoints are signed with the vault's key only: no generated key may stand in for it.
      Ledger__AllowDevelopmentKey: 'false'
    }
  }
}

// Deployments go through the identity and the package container, never basic auth.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

output name string = functionApp.name
output url string = 'https://${functionApp.properties.defaultHostName}'
