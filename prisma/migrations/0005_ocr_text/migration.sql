-- Text read inside images (OCR, issue 16). An OCR line is a chunk of kind 'text' with a box (its line) and the
-- image field's name; `ocr` holds what only OCR lines have: {"confidence": 0..1, "words": [{"text", "box": [x1,y1,x2,y2]}]}
-- in original-image pixels. Its text is indexed by the same tsv column as text fields.
ALTER TABLE chunks ADD COLUMN ocr JSONB;
