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

# 2. Add documents (image URL or a local path under LOUPE_IMAGE_ROOT; files via multipart upload).
#    With a jobId, progress streams to indexingProgress (4.) while the batch runs.
mutation AddDocuments {
  addDocuments(index: "photos", jobId: "job-1", documents: [
    { id: "1", fields: { image: "https://example.com/cat.jpg", caption: "a red ball on the grass" } }
  ]) {
    __typename
    ... on AddDocumentsPayload { succeeded failed results { id ok code message } }
    ... on LoupeError { code message }
  }
}

# 3. Search: every hit says where it matched. \`rerank\` runs the OWL-ViT-contract detector conditioned on the
#    query over the first hits: \`score\` becomes its best box's score, \`retrievalScore\` keeps the first-stage one.
query Search {
  search(index: "photos", input: { q: "duck", limit: 5, rerank: { depth: 5 } }) {
    __typename
    ... on SearchResponse {
      processingTimeMs
      hits {
        id score retrievalScore rerankStatus
        highlights { field text box { x1 y1 x2 y2 } }
        media { field width height }
        document { fields }
      }
    }
    ... on LoupeError { code message }
  }
}

# 4. Indexing progress (server-sent events): run this, then AddDocuments with the same jobId
subscription Progress {
  indexingProgress(jobId: "job-1") { processed failed total done errors { id code message } }
}
`;
