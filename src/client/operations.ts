// The operations the CLI sends, with their result shapes.
export const CREATE_INDEX = /* GraphQL */ `
  mutation CreateIndex($input: CreateIndexInput!) {
    createIndex(input: $input) {
      __typename
      ... on Index { name model dimension regionMethod { spec } }
      ... on LoupeError { code message }
    }
  }`;

export const GET_INDEX = /* GraphQL */ `
  query GetIndex($name: String!) {
    index(name: $name) {
      __typename
      ... on Index { name model documentCount chunkCount regionMethod { spec } }
      ... on LoupeError { code message }
    }
  }`;

export const LIST_INDEXES = /* GraphQL */ `
  query ListIndexes { indexes { name model documentCount chunkCount regionMethod { spec } } }`;

export const ADD_DOCUMENTS = /* GraphQL */ `
  mutation AddDocuments($index: String!, $documents: [DocumentInput!]!) {
    addDocuments(index: $index, documents: $documents) {
      __typename
      ... on AddDocumentsPayload { succeeded failed results { id ok code message } }
      ... on LoupeError { code message }
    }
  }`;

export const SEARCH = /* GraphQL */ `
  query Search($index: String!, $input: SearchInput!) {
    search(index: $index, input: $input) {
      __typename
      ... on SearchResponse {
        processingTimeMs
        hits { id score highlights { field text box { x1 y1 x2 y2 } } }
      }
      ... on LoupeError { code message }
    }
  }`;

export type ErrorResult = { __typename: 'LoupeError'; code: string; message: string };
export type Box = { x1: number; y1: number; x2: number; y2: number };
export type IndexSummary = { name: string; model: string; documentCount: number; chunkCount: number; regionMethod: { spec: string } };
export type CreateIndexData = { createIndex: ({ __typename: 'Index'; name: string } & Record<string, unknown>) | ErrorResult };
export type GetIndexData = { index: ({ __typename: 'Index' } & IndexSummary) | ErrorResult };
export type ListIndexesData = { indexes: IndexSummary[] };
export type DocumentResult = { id: string; ok: boolean; code: string | null; message: string | null };
export type AddDocumentsData = { addDocuments: { __typename: 'AddDocumentsPayload'; succeeded: number; failed: number; results: DocumentResult[] } | ErrorResult };
export type SearchHit = { id: string; score: number; highlights: { field: string; text: string | null; box: Box | null }[] };
export type SearchData = { search: { __typename: 'SearchResponse'; processingTimeMs: number; hits: SearchHit[] } | ErrorResult };
