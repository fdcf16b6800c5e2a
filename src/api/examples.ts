// Example operations shown in GraphiQL.
export const graphiqlExamples = `# Loupe: which images match, and where.
# 1. Create an index (grid regions, 3 x 3 plus the whole image)
mutation CreateIndex {
  createIndex(input: { name: "photos", regionMethodSpec: "simple?hn=3&wn=3" }) {
    __typename
    ... on Index { name model dimension regionMethod { spec } }
    ... on LoupeError { code message }
  }
}

# 2. Add documents (image URL or a local path under LOUPE_IMAGE_ROOT; files via multipart upload)
mutation AddDocuments {
  addDocuments(index: "photos", documents: [
    { id: "1", fields: { image: "https://example.com/cat.jpg", caption: "a red ball on the grass" } }
  ]) {
    __typename
    ... on AddDocumentsPayload { succeeded failed results { id ok code message } }
    ... on LoupeError { code message }
  }
}

# 3. Search: every hit says where it matched
query Search {
  search(index: "photos", input: { q: "red", limit: 5 }) {
    __typename
    ... on SearchResponse {
      processingTimeMs
      hits { id score highlights { field text box { x1 y1 x2 y2 } } document { fields } }
    }
    ... on LoupeError { code message }
  }
}
`;
