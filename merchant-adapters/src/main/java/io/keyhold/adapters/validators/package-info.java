/** Local key validators: the {@code format} validator (pattern and checksum per SKU). */
package io.keyhold.adapters.validators;
