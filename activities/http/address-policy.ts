/** The address policy lives in core/ (pure, shared with the API's save-time check); re-exported here. */
export { checkAddress, type AddressVerdict } from '../../core/http/address-policy';
