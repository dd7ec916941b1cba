// The app's secrets: a Key Vault (RBAC, soft delete, purge protection) holding the organiser key, the donor-hash key
// and the public ledger's checkpoint signing key. The function app reads them through Key Vault references in its
// app settings, resolved by the platform with the user-assigned identity, which gets Key Vault Secrets User here,
// beside the vault. The values never appear in the app's settings, the template's outputs or the deployment history.

param name string
param location string
param tags object

@description('Name of the user-assigned identity the function app runs as.')
param identityName string

@secure()
param organiserApiKey string
@secure()
param donorHashKey string
@secure()
@description('ECDSA P-256 private key signing the ledger checkpoints: PKCS#8 PEM, or its DER in base64 on one line.')
param ledgerSigningKey string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// The names the app settings reference (api.bicep); keep them in step with `secretNames` below.
resource organiserKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'organiser-api-key'
  properties: { value: organiserApiKey }
}

resource donorHashKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'donor-hash-key'
  properties: { value: donorHashKey }
}

resource ledgerSigningKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'ledger-signing-key'
  properties: { value: ledgerSigningKey, contentType: 'application/pkcs8' }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

// Key Vault Secrets User: read secret values, nothing else (no list of keys, no writes).
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
output secretNames object = {
  organiserApiKey: organiserKeySecret.name
  donorHashKey: donorHashKeySecret.name
  ledgerSigningKey: ledgerSigningKeySecret.name
}
