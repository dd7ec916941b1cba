// The one identity the function app runs as. Every data-plane role it needs is granted
// beside the resource it applies to (storage.bicep, monitoring.bicep), not here.

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
