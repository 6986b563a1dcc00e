-- Keyhold schema, version 4 (order engine): where the sandbox provider's pay page sends the buyer after paying.
-- A same-origin path only (checked by the API: starts with one "/", no "//" or "\"), so it cannot redirect away.
ALTER TABLE sandbox_payments
  ADD COLUMN return_url text CHECK (return_url ~ '^/([^/\\]|$)' AND length(return_url) <= 300);
