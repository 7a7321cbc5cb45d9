/** Wire formats of the tenant API, in OpenAI's shapes and field names. */
package dev.llada.platform.interfaces.rest.dto;
