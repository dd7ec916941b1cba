// The campaign page and the live leaderboard as static pages, on the Free tier of Static
// Web Apps: no cost, a global edge, and the pages call the function app's /api directly.

param name string
@description('Static Web Apps run in fewer regions than Functions, so this has its own location.')
param location string
param tags object

resource staticSite 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Free'
    tier: 'Free'
  }
  properties: {}
}

output name string = staticSite.name
output url string = 'https://${staticSite.properties.defaultHostname}'
